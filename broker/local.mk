# broker layer: files are added here.
