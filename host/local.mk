# host layer: files are added here.
