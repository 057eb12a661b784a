# hfenv template: fish. -g -x makes a global, exported variable.
set: set -gx {{name}} {{value}}
unset: set -e {{name}}
note: # Managed by hfenv: `hfenv setup` changes it, `hfenv reset` removes it.
