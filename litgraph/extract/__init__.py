"""Fine-tuned Transformer models: NER and relation extraction (train, evaluate, infer)."""
