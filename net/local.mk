# net layer: files are added here.
