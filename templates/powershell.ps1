# hfenv template: PowerShell 5.1 and 7 ($env: is the process environment).
set: $env:{{name}} = {{value}}
unset: Remove-Item -ErrorAction SilentlyContinue Env:{{name}}
note: # Managed by hfenv: `hfenv setup` changes it, `hfenv reset` removes it.
