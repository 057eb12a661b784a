# hfenv template: xonsh. $NAME assignments are exported to child processes.
set: ${{name}} = {{value}}
unset: ${...}.pop('{{name}}', None)
