# bash completion for gcmon: commands, their options, named boards from
# ~/.config/gcmon/config ($XDG_CONFIG_HOME respected) and serial devices
# for -t, files for --csv/--json FILE and --token-file. Installed by
# `cmake --install` into share/bash-completion/completions/gcmon.

_gcmon_boards() {
  local config="${XDG_CONFIG_HOME:-$HOME/.config}/gcmon/config"
  [[ -r $config ]] || return
  sed -n 's/^[[:space:]]*\[\([^]]*\)\][[:space:]]*$/\1/p' "$config"
}

_gcmon_devices() {
  compgen -G '/dev/ttyUSB*'
  compgen -G '/dev/ttyACM*'
  compgen -G '/dev/ttyS[0-9]*'
}

_gcmon() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=
  local commands="info stat watch collect threshold enable disable history record export"
  local global="-t --target --token-file --timeout -h --help --version"
  local cmd= i
  ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
    -t | --target | --token-file | --timeout) ((i++)) ;;
    -*) ;;
    *) cmd=${COMP_WORDS[i]}; break ;;
    esac
  done

  case $prev in
  -t | --target)
    COMPREPLY=($(compgen -W "$(_gcmon_boards) $(_gcmon_devices)" -- "$cur"))
    return ;;
  --token-file)
    COMPREPLY=($(compgen -f -- "$cur"))
    return ;;
  --csv | --json)
    [[ $cmd == record ]] && COMPREPLY=($(compgen -f -- "$cur"))
    return ;;
  --timeout | --interval | --idle-expiry)
    COMPREPLY=($(compgen -W "500ms 1s 2s 5s 1m" -- "$cur"))
    return ;;
  --since | --max-targets | --listen) return ;;
  esac

  if [[ -z $cmd ]]; then
    if [[ $cur == -* ]]; then
      COMPREPLY=($(compgen -W "$global" -- "$cur"))
    else
      COMPREPLY=($(compgen -W "$commands" -- "$cur"))
    fi
    return
  fi

  local opts="-t --target --token-file --timeout -h --help"
  case $cmd in
  info | enable | disable) opts+=" --json" ;;
  stat | collect) opts+=" --json --bytes" ;;
  threshold)
    opts+=" --json --bytes"
    [[ $cur != -* ]] && { COMPREPLY=($(compgen -W "off 64K 1M" -- "$cur")); return; } ;;
  watch) opts+=" --json --bytes --interval --wide" ;;
  history) opts+=" --json --csv --bytes --since --wide" ;;
  record) opts+=" --csv --json --interval" ;;
  export) opts+=" --listen --max-targets --idle-expiry --interval" ;;
  esac
  [[ $cur == -* ]] && COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}

complete -F _gcmon gcmon
