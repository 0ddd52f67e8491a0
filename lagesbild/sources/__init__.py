"""Readers: files in the formats users have -> canonical frames, rejected rows and provenance."""
