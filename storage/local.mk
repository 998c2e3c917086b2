# storage layer: files are added here.
