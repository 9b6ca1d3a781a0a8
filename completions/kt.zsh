#compdef kt

_kt_completion() {
  eval $(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" _KT_COMPLETE=complete_zsh kt)
}

compdef _kt_completion kt
