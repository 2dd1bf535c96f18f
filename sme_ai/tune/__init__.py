"""The industry-tuned model: retrieval-aware training data from the shipped corpus (`data`), LoRA training with
peft on the transformers backend (`train`), the GGUF adapter llama.cpp serves (`export`) and its model card
(`card`). Heavy dependencies (torch, transformers, peft, gguf) are imported inside the functions that need them."""
