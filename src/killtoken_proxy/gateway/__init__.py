"""The chat request pipeline, stage by stage; nothing here imports FastAPI."""
