# hfenv template: bash, zsh, sh (dash, ksh, mksh).
# "set:" and "unset:" give the code for one variable; {{name}} is the variable,
# {{value}} the value already quoted by the shell's quote().
# Each line ends with ";" so the unquoted `eval $(hfenv shell)`, which joins
# the lines into one, still runs them as separate commands.
set: export {{name}}={{value}};
unset: unset {{name}};
# In a startup file (setup --persist): the note, then one line per variable.
note: # Managed by hfenv: `hfenv setup` changes it, `hfenv reset` removes it.
persist: export {{name}}={{value}}
