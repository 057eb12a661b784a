# hfenv template: tcsh and csh. setenv exports; ";" keeps the joined
# lines of `eval \`hfenv shell\`` separate commands.
set: setenv {{name}} {{value}};
unset: unsetenv {{name}};
