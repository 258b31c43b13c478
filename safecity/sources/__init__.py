"""One importer module per source folder under `data/raw/`."""
