// The phone's scripts: browser globals, ES modules for the outbox, classic scripts beside it.
const js = require("@eslint/js");
const globals = require("globals");

module.exports = [
  { ignores: ["**/vendor/**"] },
  js.configs.recommended,
  {
    files: ["**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "script",
      globals: { ...globals.browser, htmx: "readonly" },
    },
    rules: {
      "no-unused-vars": ["error", { caughtErrors: "none" }],
      eqeqeq: "error",
      "prefer-const": "error",
      "no-var": "error",
    },
  },
  {
    files: ["**/offline.js", "**/outbox/*.js"],
    languageOptions: { sourceType: "module" },
  },
];
