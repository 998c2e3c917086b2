# records layer: files are added here.
