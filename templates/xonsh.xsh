# hfenv template: xonsh. $NAME assignments are exported to child processes.
set: ${{name}} = {{value}}
unset: ${...}.pop('{{name}}', None)
note: # Managed by hfenv: `hfenv setup` changes it, `hfenv reset` removes it.
