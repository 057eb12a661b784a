# hfenv template: cmd.exe. The quotes around NAME=VALUE keep & | < > ^ literal.
set: set "{{name}}={{value}}"
unset: set "{{name}}="
