"""docpipe: structured résumé and cover-letter data to PDF."""
