"""Readers: files in the formats users have -> canonical frames, rejected rows and provenance;
API clients in `clients/`. Imports only core/ (never the store, analysis or anything drawn)."""
