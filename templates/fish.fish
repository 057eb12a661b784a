# hfenv template: fish. -g -x makes a global, exported variable.
set: set -gx {{name}} {{value}}
unset: set -e {{name}}
