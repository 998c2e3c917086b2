# module layer: files are added here.
