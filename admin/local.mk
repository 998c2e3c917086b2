# admin layer: files are added here.
