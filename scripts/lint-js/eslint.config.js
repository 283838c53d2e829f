// The phone's scripts: browser globals, ES modules for the outbox, classic scripts beside it;
// and the service worker, a template linted as rendered (scripts/lint_service_worker.py).
const js = require("@eslint/js");
const globals = require("globals");

module.exports = [
  { ignores: ["**/vendor/**"] },
  js.configs.recommended,
  {
    files: ["**/*.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "script" },
    rules: {
      "no-unused-vars": ["error", { caughtErrors: "none" }],
      eqeqeq: "error",
      "prefer-const": "error",
      "no-var": "error",
    },
  },
  {
    files: ["**/static/js/**/*.js"],
    languageOptions: { globals: { ...globals.browser, htmx: "readonly" } },
  },
  {
    files: ["**/offline.js", "**/markup.js", "**/outbox/*.js"],
    languageOptions: { sourceType: "module" },
  },
  {
    files: ["**/templates/main/sw.js"],
    languageOptions: { globals: globals.serviceworker },
  },
];
