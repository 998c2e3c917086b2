# t layer: files are added here.
