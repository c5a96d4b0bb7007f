"""Adapters that let other tools use the Assistant: llama-index components (`rag.integrations.llamaindex`).
The OpenAI-compatible HTTP API lives with the server, in `ui.openai_api`."""
