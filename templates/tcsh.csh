# hfenv template: tcsh and csh. setenv exports; ";" keeps the joined
# lines of `eval \`hfenv shell\`` separate commands.
set: setenv {{name}} {{value}};
unset: unsetenv {{name}};
# In ~/.tcshrc (setup --persist): the note, then one line per variable.
note: # Managed by hfenv: `hfenv setup` changes it, `hfenv reset` removes it.
persist: setenv {{name}} {{value}}
