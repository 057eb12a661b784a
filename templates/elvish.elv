# hfenv template: elvish.
set: set-env {{name}} {{value}}
unset: unset-env {{name}}
note: # Managed by hfenv: `hfenv setup` changes it, `hfenv reset` removes it.
