"""One module per `kt` command group."""
