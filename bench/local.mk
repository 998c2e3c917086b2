# bench layer: files are added here.
