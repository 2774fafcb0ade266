"""The knowledge base: articles, versions, the review/approval workflow, import/export and indexing."""
