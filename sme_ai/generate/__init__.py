"""Generation: LLM backends, prompts, compact context, citation verification, extractive answers."""
