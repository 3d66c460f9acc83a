# Sourced by bin/wavelb and .ci/run: sets WAVELB_JAVA_HOME to a JDK >= 25 and WAVELB_JAVA_MAJOR.
# Order: $JAVA_HOME if new enough, the java on PATH if new enough, then the newest in /usr/lib/jvm.

_wavelb_major() {  # prints the major version of the java binary $1, or 0
  local v
  v="$("$1" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}')"
  [[ "$v" =~ ^[0-9]+$ ]] && echo "$v" || echo 0
}

_wavelb_pick_java() {
  local candidates=() c best="" best_major=0 m
  [[ -n "${JAVA_HOME:-}" ]] && candidates+=("$JAVA_HOME")
  if command -v java >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  for c in /usr/lib/jvm/*; do [[ -d "$c" && ! -L "$c" ]] && candidates+=("$c"); done
  for c in "${candidates[@]}"; do
    [[ -x "$c/bin/java" && -x "$c/bin/javac" ]] || continue
    m="$(_wavelb_major "$c/bin/java")"
    if (( m >= 25 )); then
      # The first acceptable one wins for JAVA_HOME and PATH; among /usr/lib/jvm the newest.
      if [[ "$c" == "${JAVA_HOME:-}" ]] || [[ "$c" != /usr/lib/jvm/* ]]; then best="$c"; best_major="$m"; break; fi
      if (( m > best_major )); then best="$c"; best_major="$m"; fi
    fi
  done
  if [[ -z "$best" ]]; then
    echo "wavelb: no JDK >= 25 found (set JAVA_HOME; tried ${candidates[*]:-nothing})" >&2
    return 1
  fi
  WAVELB_JAVA_HOME="$best"
  WAVELB_JAVA_MAJOR="$best_major"
  export WAVELB_JAVA_HOME WAVELB_JAVA_MAJOR
  # Maven itself (its bundled Guava) trips JDK 24+'s sun.misc.Unsafe warnings: allow quietly.
  if (( best_major >= 24 )) && [[ "${MAVEN_OPTS:-}" != *unsafe-memory-access* ]]; then
    export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
  fi
}

_wavelb_pick_java
