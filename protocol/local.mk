# protocol layer: files are added here.
