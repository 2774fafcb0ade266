"""AI building blocks: embeddings, indexes, classifiers, model store. Imports nothing of ours but config/errors."""
