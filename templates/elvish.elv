# hfenv template: elvish.
set: set-env {{name}} {{value}}
unset: unset-env {{name}}
