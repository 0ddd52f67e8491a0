"""The workspace: its interface and GeoPackage store, frame loading, the import pipeline, export and
restore, snapshots, notes, the demo builder and fetching. Imports only core/ and sources/."""
