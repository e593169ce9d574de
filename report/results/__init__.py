"""The results on disk: the store under --output, run keys and states, the workspace that says which
runs a config wants and which are current, the build record, and the stored LeNet5 rebuilt."""
