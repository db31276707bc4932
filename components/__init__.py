"""Custom Rasa NLU graph components. They read their vocabulary from the knowledge base."""
