"""Shared infrastructure: settings, the database, the file store, PDFs, time, the audit log.

Imports no other package of app/."""
