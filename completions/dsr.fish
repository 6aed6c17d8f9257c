# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_dsr_global_optspecs
    string join \n store= map= tenant= config= operator= request= json q/quiet h/help V/version
end

function __fish_dsr_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_dsr_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_dsr_using_subcommand
    set -l cmd (__fish_dsr_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c dsr -n "__fish_dsr_needs_command" -l store -d 'The tenant\'s store: a SQLite file path, or sqlite:PATH' -r
complete -c dsr -n "__fish_dsr_needs_command" -l map -d 'The data map (TOML) describing where personal data lives in the store' -r -F
complete -c dsr -n "__fish_dsr_needs_command" -l tenant -d 'Take store and map from the config file\'s [tenants.NAME]' -r -f -a "(dsr config --names 2>/dev/null)"
complete -c dsr -n "__fish_dsr_needs_command" -l config -d 'Config file [default: ./dsr.toml, then $XDG_CONFIG_HOME/dsr/config.toml, then /etc/dsr/config.toml]' -r -F
complete -c dsr -n "__fish_dsr_needs_command" -l operator -d 'Who is acting, for the audit record [default: the OS account]; for `audit log`, only that operator\'s records' -r
complete -c dsr -n "__fish_dsr_needs_command" -l request -d 'The ticket or case number this command serves, for the audit record; for `audit log`, only its records' -r
complete -c dsr -n "__fish_dsr_needs_command" -l json -d 'Machine-readable result on stdout (one JSON document), nothing else on stdout'
complete -c dsr -n "__fish_dsr_needs_command" -s q -l quiet -d 'No human summary; errors still go to stderr'
complete -c dsr -n "__fish_dsr_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dsr -n "__fish_dsr_needs_command" -s V -l version -d 'Print version'
complete -c dsr -n "__fish_dsr_needs_command" -f -a "demo" -d 'Write a synthetic tenant (DIR/tenant.db and DIR/datamap.toml) to try every command on'
complete -c dsr -n "__fish_dsr_needs_command" -f -a "init" -d 'Write a draft data map from the store\'s schema and a sample of its values'
complete -c dsr -n "__fish_dsr_needs_command" -f -a "check" -d 'Validate the data map against the live store (exit 0 only without errors)'
complete -c dsr -n "__fish_dsr_needs_command" -f -a "extract" -d 'Art. 15 access: every row belonging to the subject, with the Art. 15(1) information'
complete -c dsr -n "__fish_dsr_needs_command" -f -a "erase" -d 'Art. 17 erasure: apply the map\'s erase rules to every row of the subject, in one transaction'
complete -c dsr -n "__fish_dsr_needs_command" -f -a "export" -d 'Art. 20 portability export of a subject, or with --all every mapped table of the tenant'
complete -c dsr -n "__fish_dsr_needs_command" -f -a "sweep" -d 'Retention: apply every rule whose time has come, and finish deferred erasures whose hold has ended'
complete -c dsr -n "__fish_dsr_needs_command" -f -a "audit" -d 'The audit trail: list records, verify the hash chain, repair a break, list operators'
complete -c dsr -n "__fish_dsr_needs_command" -f -a "config" -d 'Show which config file, tenant, store and map a command would use'
complete -c dsr -n "__fish_dsr_needs_command" -f -a "request" -d 'The register of subject requests and their statutory deadlines (Art. 12(3))'
complete -c dsr -n "__fish_dsr_needs_command" -f -a "batch" -d 'Carry out many requests in one run: a CSV of extract, export and erase lines'
complete -c dsr -n "__fish_dsr_needs_command" -f -a "replay" -d 'After a restore from a backup: carry out again the erasures recorded since (or --new-key)'
complete -c dsr -n "__fish_dsr_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c dsr -n "__fish_dsr_using_subcommand demo" -l subjects -d 'Number of data subjects (customers)' -r
complete -c dsr -n "__fish_dsr_using_subcommand demo" -l seed -d 'Seed: the same seed and day give the same tenant' -r
complete -c dsr -n "__fish_dsr_using_subcommand demo" -l store -d 'Write the tables into a PostgreSQL schema instead of DIR/tenant.db: postgres://…[?schema=NAME] (the schema must exist; only the map goes into DIR). Taken from the command line only, never from DSR_STORE' -r
complete -c dsr -n "__fish_dsr_using_subcommand demo" -l map -d 'The data map (TOML) describing where personal data lives in the store' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand demo" -l tenant -d 'Take store and map from the config file\'s [tenants.NAME]' -r -f -a "(dsr config --names 2>/dev/null)"
complete -c dsr -n "__fish_dsr_using_subcommand demo" -l config -d 'Config file [default: ./dsr.toml, then $XDG_CONFIG_HOME/dsr/config.toml, then /etc/dsr/config.toml]' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand demo" -l operator -d 'Who is acting, for the audit record [default: the OS account]; for `audit log`, only that operator\'s records' -r
complete -c dsr -n "__fish_dsr_using_subcommand demo" -l request -d 'The ticket or case number this command serves, for the audit record; for `audit log`, only its records' -r
complete -c dsr -n "__fish_dsr_using_subcommand demo" -l force -d 'Replace an existing demo tenant in DIR (on PostgreSQL: the demo\'s tables in the schema)'
complete -c dsr -n "__fish_dsr_using_subcommand demo" -l json -d 'Machine-readable result on stdout (one JSON document), nothing else on stdout'
complete -c dsr -n "__fish_dsr_using_subcommand demo" -s q -l quiet -d 'No human summary; errors still go to stderr'
complete -c dsr -n "__fish_dsr_using_subcommand demo" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dsr -n "__fish_dsr_using_subcommand demo" -s V -l version -d 'Print version'
complete -c dsr -n "__fish_dsr_using_subcommand init" -s o -l output -d 'Where to write the draft (a new file, mode 0600); `-` for standard output' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand init" -l map -d 'The data map (TOML) describing where personal data lives in the store' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand init" -l operator -d 'Who is acting, for the audit record [default: the OS account]; for `audit log`, only that operator\'s records' -r
complete -c dsr -n "__fish_dsr_using_subcommand init" -l request -d 'The ticket or case number this command serves, for the audit record; for `audit log`, only its records' -r
complete -c dsr -n "__fish_dsr_using_subcommand init" -l store -d 'The tenant\'s store: a SQLite file path, or sqlite:PATH' -r
complete -c dsr -n "__fish_dsr_using_subcommand init" -l tenant -d 'Take store and map from the config file\'s [tenants.NAME]' -r -f -a "(dsr config --names 2>/dev/null)"
complete -c dsr -n "__fish_dsr_using_subcommand init" -l config -d 'Config file [default: ./dsr.toml, then $XDG_CONFIG_HOME/dsr/config.toml, then /etc/dsr/config.toml]' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand init" -l force -d 'Replace an existing file at PATH'
complete -c dsr -n "__fish_dsr_using_subcommand init" -l json -d 'Machine-readable result on stdout (one JSON document), nothing else on stdout'
complete -c dsr -n "__fish_dsr_using_subcommand init" -s q -l quiet -d 'No human summary; errors still go to stderr'
complete -c dsr -n "__fish_dsr_using_subcommand init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dsr -n "__fish_dsr_using_subcommand init" -s V -l version -d 'Print version'
complete -c dsr -n "__fish_dsr_using_subcommand check" -l operator -d 'Who is acting, for the audit record [default: the OS account]; for `audit log`, only that operator\'s records' -r
complete -c dsr -n "__fish_dsr_using_subcommand check" -l request -d 'The ticket or case number this command serves, for the audit record; for `audit log`, only its records' -r
complete -c dsr -n "__fish_dsr_using_subcommand check" -l store -d 'The tenant\'s store: a SQLite file path, or sqlite:PATH' -r
complete -c dsr -n "__fish_dsr_using_subcommand check" -l map -d 'The data map (TOML) describing where personal data lives in the store' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand check" -l tenant -d 'Take store and map from the config file\'s [tenants.NAME]' -r -f -a "(dsr config --names 2>/dev/null)"
complete -c dsr -n "__fish_dsr_using_subcommand check" -l config -d 'Config file [default: ./dsr.toml, then $XDG_CONFIG_HOME/dsr/config.toml, then /etc/dsr/config.toml]' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand check" -l strict -d 'Store tables missing from the map, and unmapped columns that look personal, are errors (exit 3): for an application\'s CI'
complete -c dsr -n "__fish_dsr_using_subcommand check" -l json -d 'Machine-readable result on stdout (one JSON document), nothing else on stdout'
complete -c dsr -n "__fish_dsr_using_subcommand check" -s q -l quiet -d 'No human summary; errors still go to stderr'
complete -c dsr -n "__fish_dsr_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dsr -n "__fish_dsr_using_subcommand check" -s V -l version -d 'Print version'
complete -c dsr -n "__fish_dsr_using_subcommand extract" -l format -d 'Output format (xlsx, csv and html need -o; for csv it names a directory)' -r -f -a "json\t''
xlsx\t''
csv\t''
html\t''"
complete -c dsr -n "__fish_dsr_using_subcommand extract" -s o -l output -d 'Write to this file (csv: this new directory) instead of stdout, created 0600 (0700)' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand extract" -l lang -d 'Language of the Art. 15 information and the copy (default: the map\'s `language`, else en)' -r -f -a "sv\t''
en\t''"
complete -c dsr -n "__fish_dsr_using_subcommand extract" -l store -d 'The tenant\'s store: a SQLite file path, or sqlite:PATH' -r
complete -c dsr -n "__fish_dsr_using_subcommand extract" -l map -d 'The data map (TOML) describing where personal data lives in the store' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand extract" -l tenant -d 'Take store and map from the config file\'s [tenants.NAME]' -r -f -a "(dsr config --names 2>/dev/null)"
complete -c dsr -n "__fish_dsr_using_subcommand extract" -l config -d 'Config file [default: ./dsr.toml, then $XDG_CONFIG_HOME/dsr/config.toml, then /etc/dsr/config.toml]' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand extract" -l operator -d 'Who is acting, for the audit record [default: the OS account]; for `audit log`, only that operator\'s records' -r
complete -c dsr -n "__fish_dsr_using_subcommand extract" -l request -d 'The ticket or case number this command serves, for the audit record; for `audit log`, only its records' -r
complete -c dsr -n "__fish_dsr_using_subcommand extract" -l force -d 'Replace an existing output file (csv: an earlier CSV export)'
complete -c dsr -n "__fish_dsr_using_subcommand extract" -l all-matches -d 'Go on when the identifiers match more than one row of a subjects table'
complete -c dsr -n "__fish_dsr_using_subcommand extract" -l json -d 'Machine-readable result on stdout (one JSON document), nothing else on stdout'
complete -c dsr -n "__fish_dsr_using_subcommand extract" -s q -l quiet -d 'No human summary; errors still go to stderr'
complete -c dsr -n "__fish_dsr_using_subcommand extract" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dsr -n "__fish_dsr_using_subcommand extract" -s V -l version -d 'Print version'
complete -c dsr -n "__fish_dsr_using_subcommand erase" -l store -d 'The tenant\'s store: a SQLite file path, or sqlite:PATH' -r
complete -c dsr -n "__fish_dsr_using_subcommand erase" -l map -d 'The data map (TOML) describing where personal data lives in the store' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand erase" -l tenant -d 'Take store and map from the config file\'s [tenants.NAME]' -r -f -a "(dsr config --names 2>/dev/null)"
complete -c dsr -n "__fish_dsr_using_subcommand erase" -l config -d 'Config file [default: ./dsr.toml, then $XDG_CONFIG_HOME/dsr/config.toml, then /etc/dsr/config.toml]' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand erase" -l operator -d 'Who is acting, for the audit record [default: the OS account]; for `audit log`, only that operator\'s records' -r
complete -c dsr -n "__fish_dsr_using_subcommand erase" -l request -d 'The ticket or case number this command serves, for the audit record; for `audit log`, only its records' -r
complete -c dsr -n "__fish_dsr_using_subcommand erase" -l dry-run -d 'Show and record the plan, change nothing'
complete -c dsr -n "__fish_dsr_using_subcommand erase" -s y -l yes -d 'Do not ask before changing anything (required when there is no terminal)'
complete -c dsr -n "__fish_dsr_using_subcommand erase" -l all-matches -d 'Go on when the identifiers match more than one row of a subjects table'
complete -c dsr -n "__fish_dsr_using_subcommand erase" -l json -d 'Machine-readable result on stdout (one JSON document), nothing else on stdout'
complete -c dsr -n "__fish_dsr_using_subcommand erase" -s q -l quiet -d 'No human summary; errors still go to stderr'
complete -c dsr -n "__fish_dsr_using_subcommand erase" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dsr -n "__fish_dsr_using_subcommand erase" -s V -l version -d 'Print version'
complete -c dsr -n "__fish_dsr_using_subcommand export" -l format -d 'Output format (xlsx and csv need -o; for csv it names a directory)' -r -f -a "json\t''
xlsx\t''
csv\t''"
complete -c dsr -n "__fish_dsr_using_subcommand export" -s o -l output -d 'Write to this file (csv: this new directory) instead of stdout, created 0600 (0700)' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand export" -l store -d 'The tenant\'s store: a SQLite file path, or sqlite:PATH' -r
complete -c dsr -n "__fish_dsr_using_subcommand export" -l map -d 'The data map (TOML) describing where personal data lives in the store' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand export" -l tenant -d 'Take store and map from the config file\'s [tenants.NAME]' -r -f -a "(dsr config --names 2>/dev/null)"
complete -c dsr -n "__fish_dsr_using_subcommand export" -l config -d 'Config file [default: ./dsr.toml, then $XDG_CONFIG_HOME/dsr/config.toml, then /etc/dsr/config.toml]' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand export" -l operator -d 'Who is acting, for the audit record [default: the OS account]; for `audit log`, only that operator\'s records' -r
complete -c dsr -n "__fish_dsr_using_subcommand export" -l request -d 'The ticket or case number this command serves, for the audit record; for `audit log`, only its records' -r
complete -c dsr -n "__fish_dsr_using_subcommand export" -l all -d 'Every mapped table with all its rows (a customer who leaves), instead of one subject'
complete -c dsr -n "__fish_dsr_using_subcommand export" -l force -d 'Replace an existing output file (csv: an earlier CSV export)'
complete -c dsr -n "__fish_dsr_using_subcommand export" -l all-matches -d 'Go on when the identifiers match more than one row of a subjects table'
complete -c dsr -n "__fish_dsr_using_subcommand export" -l json -d 'Machine-readable result on stdout (one JSON document), nothing else on stdout'
complete -c dsr -n "__fish_dsr_using_subcommand export" -s q -l quiet -d 'No human summary; errors still go to stderr'
complete -c dsr -n "__fish_dsr_using_subcommand export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dsr -n "__fish_dsr_using_subcommand export" -s V -l version -d 'Print version'
complete -c dsr -n "__fish_dsr_using_subcommand sweep" -l table -d 'Only this table\'s retention rule and deferred erasures' -r
complete -c dsr -n "__fish_dsr_using_subcommand sweep" -l batch-size -d 'Rows per batch, one write transaction each (default: adapts so that each takes about 50 ms)' -r
complete -c dsr -n "__fish_dsr_using_subcommand sweep" -l store -d 'The tenant\'s store: a SQLite file path, or sqlite:PATH' -r
complete -c dsr -n "__fish_dsr_using_subcommand sweep" -l map -d 'The data map (TOML) describing where personal data lives in the store' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand sweep" -l tenant -d 'Take store and map from the config file\'s [tenants.NAME]' -r -f -a "(dsr config --names 2>/dev/null)"
complete -c dsr -n "__fish_dsr_using_subcommand sweep" -l config -d 'Config file [default: ./dsr.toml, then $XDG_CONFIG_HOME/dsr/config.toml, then /etc/dsr/config.toml]' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand sweep" -l operator -d 'Who is acting, for the audit record [default: the OS account]; for `audit log`, only that operator\'s records' -r
complete -c dsr -n "__fish_dsr_using_subcommand sweep" -l request -d 'The ticket or case number this command serves, for the audit record; for `audit log`, only its records' -r
complete -c dsr -n "__fish_dsr_using_subcommand sweep" -l dry-run -d 'Report what a real run would change, and change nothing'
complete -c dsr -n "__fish_dsr_using_subcommand sweep" -l wait -d 'Wait for another sweep of this tenant to finish instead of exiting 6'
complete -c dsr -n "__fish_dsr_using_subcommand sweep" -l json -d 'Machine-readable result on stdout (one JSON document), nothing else on stdout'
complete -c dsr -n "__fish_dsr_using_subcommand sweep" -s q -l quiet -d 'No human summary; errors still go to stderr'
complete -c dsr -n "__fish_dsr_using_subcommand sweep" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dsr -n "__fish_dsr_using_subcommand sweep" -s V -l version -d 'Print version'
complete -c dsr -n "__fish_dsr_using_subcommand audit; and not __fish_seen_subcommand_from log verify repair operators" -l store -d 'The tenant\'s store: a SQLite file path, or sqlite:PATH' -r
complete -c dsr -n "__fish_dsr_using_subcommand audit; and not __fish_seen_subcommand_from log verify repair operators" -l map -d 'The data map (TOML) describing where personal data lives in the store' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand audit; and not __fish_seen_subcommand_from log verify repair operators" -l tenant -d 'Take store and map from the config file\'s [tenants.NAME]' -r -f -a "(dsr config --names 2>/dev/null)"
complete -c dsr -n "__fish_dsr_using_subcommand audit; and not __fish_seen_subcommand_from log verify repair operators" -l config -d 'Config file [default: ./dsr.toml, then $XDG_CONFIG_HOME/dsr/config.toml, then /etc/dsr/config.toml]' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand audit; and not __fish_seen_subcommand_from log verify repair operators" -l operator -d 'Who is acting, for the audit record [default: the OS account]; for `audit log`, only that operator\'s records' -r
complete -c dsr -n "__fish_dsr_using_subcommand audit; and not __fish_seen_subcommand_from log verify repair operators" -l request -d 'The ticket or case number this command serves, for the audit record; for `audit log`, only its records' -r
complete -c dsr -n "__fish_dsr_using_subcommand audit; and not __fish_seen_subcommand_from log verify repair operators" -l json -d 'Machine-readable result on stdout (one JSON document), nothing else on stdout'
complete -c dsr -n "__fish_dsr_using_subcommand audit; and not __fish_seen_subcommand_from log verify repair operators" -s q -l quiet -d 'No human summary; errors still go to stderr'
complete -c dsr -n "__fish_dsr_using_subcommand audit; and not __fish_seen_subcommand_from log verify repair operators" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dsr -n "__fish_dsr_using_subcommand audit; and not __fish_seen_subcommand_from log verify repair operators" -s V -l version -d 'Print version'
complete -c dsr -n "__fish_dsr_using_subcommand audit; and not __fish_seen_subcommand_from log verify repair operators" -f -a "log" -d 'List audit records, oldest first'
complete -c dsr -n "__fish_dsr_using_subcommand audit; and not __fish_seen_subcommand_from log verify repair operators" -f -a "verify" -d 'Recompute the hash chain (and compare it with the mirror); exit 7 naming the first bad record'
complete -c dsr -n "__fish_dsr_using_subcommand audit; and not __fish_seen_subcommand_from log verify repair operators" -f -a "repair" -d 'After a break has been investigated: append a record that states it and carry the chain on'
complete -c dsr -n "__fish_dsr_using_subcommand audit; and not __fish_seen_subcommand_from log verify repair operators" -f -a "operators" -d 'Who has acted on the tenant: first and last use, and counts per command'
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from log" -l since -d 'Only records at or after this time (YYYY-MM-DD or an ISO date-time)' -r
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from log" -l command -d 'Only records of this command (extract, erase, export, sweep, repair, replay)' -r
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from log" -l subject -d 'Only records about this data subject (KIND:VALUE, as the commands take it; needs the map)' -r
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from log" -l limit -d 'Only the newest N of the matching records (still listed oldest first)' -r
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from log" -l map -d 'The data map (TOML) describing where personal data lives in the store' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from log" -l operator -d 'Who is acting, for the audit record [default: the OS account]; for `audit log`, only that operator\'s records' -r
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from log" -l request -d 'The ticket or case number this command serves, for the audit record; for `audit log`, only its records' -r
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from log" -l store -d 'The tenant\'s store: a SQLite file path, or sqlite:PATH' -r
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from log" -l tenant -d 'Take store and map from the config file\'s [tenants.NAME]' -r -f -a "(dsr config --names 2>/dev/null)"
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from log" -l config -d 'Config file [default: ./dsr.toml, then $XDG_CONFIG_HOME/dsr/config.toml, then /etc/dsr/config.toml]' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from log" -l json -d 'Machine-readable result on stdout (one JSON document), nothing else on stdout'
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from log" -s q -l quiet -d 'No human summary; errors still go to stderr'
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from log" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from log" -s V -l version -d 'Print version'
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from verify" -l mirror -d 'Also compare the chain record by record with this JSONL mirror (the tenant\'s audit_log)' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from verify" -l map -d 'The data map (TOML) describing where personal data lives in the store' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from verify" -l operator -d 'Who is acting, for the audit record [default: the OS account]; for `audit log`, only that operator\'s records' -r
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from verify" -l request -d 'The ticket or case number this command serves, for the audit record; for `audit log`, only its records' -r
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from verify" -l store -d 'The tenant\'s store: a SQLite file path, or sqlite:PATH' -r
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from verify" -l tenant -d 'Take store and map from the config file\'s [tenants.NAME]' -r -f -a "(dsr config --names 2>/dev/null)"
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from verify" -l config -d 'Config file [default: ./dsr.toml, then $XDG_CONFIG_HOME/dsr/config.toml, then /etc/dsr/config.toml]' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from verify" -l json -d 'Machine-readable result on stdout (one JSON document), nothing else on stdout'
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from verify" -s q -l quiet -d 'No human summary; errors still go to stderr'
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from verify" -s V -l version -d 'Print version'
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from repair" -l reason -d 'What the investigation found and why the trail may carry on (recorded; no personal data)' -r
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from repair" -l store -d 'The tenant\'s store: a SQLite file path, or sqlite:PATH' -r
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from repair" -l map -d 'The data map (TOML) describing where personal data lives in the store' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from repair" -l tenant -d 'Take store and map from the config file\'s [tenants.NAME]' -r -f -a "(dsr config --names 2>/dev/null)"
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from repair" -l config -d 'Config file [default: ./dsr.toml, then $XDG_CONFIG_HOME/dsr/config.toml, then /etc/dsr/config.toml]' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from repair" -l operator -d 'Who is acting, for the audit record [default: the OS account]; for `audit log`, only that operator\'s records' -r
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from repair" -l request -d 'The ticket or case number this command serves, for the audit record; for `audit log`, only its records' -r
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from repair" -l json -d 'Machine-readable result on stdout (one JSON document), nothing else on stdout'
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from repair" -s q -l quiet -d 'No human summary; errors still go to stderr'
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from repair" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from repair" -s V -l version -d 'Print version'
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from operators" -l store -d 'The tenant\'s store: a SQLite file path, or sqlite:PATH' -r
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from operators" -l map -d 'The data map (TOML) describing where personal data lives in the store' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from operators" -l tenant -d 'Take store and map from the config file\'s [tenants.NAME]' -r -f -a "(dsr config --names 2>/dev/null)"
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from operators" -l config -d 'Config file [default: ./dsr.toml, then $XDG_CONFIG_HOME/dsr/config.toml, then /etc/dsr/config.toml]' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from operators" -l operator -d 'Who is acting, for the audit record [default: the OS account]; for `audit log`, only that operator\'s records' -r
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from operators" -l request -d 'The ticket or case number this command serves, for the audit record; for `audit log`, only its records' -r
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from operators" -l json -d 'Machine-readable result on stdout (one JSON document), nothing else on stdout'
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from operators" -s q -l quiet -d 'No human summary; errors still go to stderr'
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from operators" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dsr -n "__fish_dsr_using_subcommand audit; and __fish_seen_subcommand_from operators" -s V -l version -d 'Print version'
complete -c dsr -n "__fish_dsr_using_subcommand config" -l operator -d 'Who is acting, for the audit record [default: the OS account]; for `audit log`, only that operator\'s records' -r
complete -c dsr -n "__fish_dsr_using_subcommand config" -l request -d 'The ticket or case number this command serves, for the audit record; for `audit log`, only its records' -r
complete -c dsr -n "__fish_dsr_using_subcommand config" -l store -d 'The tenant\'s store: a SQLite file path, or sqlite:PATH' -r
complete -c dsr -n "__fish_dsr_using_subcommand config" -l map -d 'The data map (TOML) describing where personal data lives in the store' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand config" -l tenant -d 'Take store and map from the config file\'s [tenants.NAME]' -r -f -a "(dsr config --names 2>/dev/null)"
complete -c dsr -n "__fish_dsr_using_subcommand config" -l config -d 'Config file [default: ./dsr.toml, then $XDG_CONFIG_HOME/dsr/config.toml, then /etc/dsr/config.toml]' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand config" -l names -d 'Print only the configured tenants\' names, one per line (what shell completion of --tenant uses)'
complete -c dsr -n "__fish_dsr_using_subcommand config" -l json -d 'Machine-readable result on stdout (one JSON document), nothing else on stdout'
complete -c dsr -n "__fish_dsr_using_subcommand config" -s q -l quiet -d 'No human summary; errors still go to stderr'
complete -c dsr -n "__fish_dsr_using_subcommand config" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dsr -n "__fish_dsr_using_subcommand config" -s V -l version -d 'Print version'
complete -c dsr -n "__fish_dsr_using_subcommand request; and not __fish_seen_subcommand_from new list show extend close due" -l store -d 'The tenant\'s store: a SQLite file path, or sqlite:PATH' -r
complete -c dsr -n "__fish_dsr_using_subcommand request; and not __fish_seen_subcommand_from new list show extend close due" -l map -d 'The data map (TOML) describing where personal data lives in the store' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand request; and not __fish_seen_subcommand_from new list show extend close due" -l tenant -d 'Take store and map from the config file\'s [tenants.NAME]' -r -f -a "(dsr config --names 2>/dev/null)"
complete -c dsr -n "__fish_dsr_using_subcommand request; and not __fish_seen_subcommand_from new list show extend close due" -l config -d 'Config file [default: ./dsr.toml, then $XDG_CONFIG_HOME/dsr/config.toml, then /etc/dsr/config.toml]' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand request; and not __fish_seen_subcommand_from new list show extend close due" -l operator -d 'Who is acting, for the audit record [default: the OS account]; for `audit log`, only that operator\'s records' -r
complete -c dsr -n "__fish_dsr_using_subcommand request; and not __fish_seen_subcommand_from new list show extend close due" -l request -d 'The ticket or case number this command serves, for the audit record; for `audit log`, only its records' -r
complete -c dsr -n "__fish_dsr_using_subcommand request; and not __fish_seen_subcommand_from new list show extend close due" -l json -d 'Machine-readable result on stdout (one JSON document), nothing else on stdout'
complete -c dsr -n "__fish_dsr_using_subcommand request; and not __fish_seen_subcommand_from new list show extend close due" -s q -l quiet -d 'No human summary; errors still go to stderr'
complete -c dsr -n "__fish_dsr_using_subcommand request; and not __fish_seen_subcommand_from new list show extend close due" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dsr -n "__fish_dsr_using_subcommand request; and not __fish_seen_subcommand_from new list show extend close due" -s V -l version -d 'Print version'
complete -c dsr -n "__fish_dsr_using_subcommand request; and not __fish_seen_subcommand_from new list show extend close due" -f -a "new" -d 'Register a request; prints its id and its due date'
complete -c dsr -n "__fish_dsr_using_subcommand request; and not __fish_seen_subcommand_from new list show extend close due" -f -a "list" -d 'The register, oldest id first'
complete -c dsr -n "__fish_dsr_using_subcommand request; and not __fish_seen_subcommand_from new list show extend close due" -f -a "show" -d 'One request, with the audit records of every command run for it'
complete -c dsr -n "__fish_dsr_using_subcommand request; and not __fish_seen_subcommand_from new list show extend close due" -f -a "extend" -d 'Extend a request once, before its first deadline, by two further months (Art. 12(3))'
complete -c dsr -n "__fish_dsr_using_subcommand request; and not __fish_seen_subcommand_from new list show extend close due" -f -a "close" -d 'Close a request: done, refused (with a reason) or withdrawn'
complete -c dsr -n "__fish_dsr_using_subcommand request; and not __fish_seen_subcommand_from new list show extend close due" -f -a "due" -d 'For cron: open requests due within DURATION or overdue; prints nothing when there are none'
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from new" -l received -d 'The day the request arrived (YYYY-MM-DD, in the tenant\'s time zone) [default: today]' -r
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from new" -l channel -d 'How it arrived (e-mail, letter, phone, web form, …)' -r
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from new" -l note -d 'Free text about the request (personal data of the subject: part of their extract)' -r
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from new" -l request -d 'The ticket or case number this command serves, for the audit record; for `audit log`, only its records' -r
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from new" -l store -d 'The tenant\'s store: a SQLite file path, or sqlite:PATH' -r
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from new" -l map -d 'The data map (TOML) describing where personal data lives in the store' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from new" -l tenant -d 'Take store and map from the config file\'s [tenants.NAME]' -r -f -a "(dsr config --names 2>/dev/null)"
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from new" -l config -d 'Config file [default: ./dsr.toml, then $XDG_CONFIG_HOME/dsr/config.toml, then /etc/dsr/config.toml]' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from new" -l operator -d 'Who is acting, for the audit record [default: the OS account]; for `audit log`, only that operator\'s records' -r
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from new" -l json -d 'Machine-readable result on stdout (one JSON document), nothing else on stdout'
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from new" -s q -l quiet -d 'No human summary; errors still go to stderr'
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from new" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from new" -s V -l version -d 'Print version'
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from list" -l due-within -d 'Only open requests due within DURATION (7d, 2w, 1m) or overdue' -r
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from list" -l operator -d 'Who is acting, for the audit record [default: the OS account]; for `audit log`, only that operator\'s records' -r
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from list" -l request -d 'The ticket or case number this command serves, for the audit record; for `audit log`, only its records' -r
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from list" -l store -d 'The tenant\'s store: a SQLite file path, or sqlite:PATH' -r
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from list" -l map -d 'The data map (TOML) describing where personal data lives in the store' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from list" -l tenant -d 'Take store and map from the config file\'s [tenants.NAME]' -r -f -a "(dsr config --names 2>/dev/null)"
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from list" -l config -d 'Config file [default: ./dsr.toml, then $XDG_CONFIG_HOME/dsr/config.toml, then /etc/dsr/config.toml]' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from list" -l open -d 'Only requests not yet closed'
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from list" -l overdue -d 'Only open requests past their deadline'
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from list" -l json -d 'Machine-readable result on stdout (one JSON document), nothing else on stdout'
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from list" -s q -l quiet -d 'No human summary; errors still go to stderr'
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from show" -l operator -d 'Who is acting, for the audit record [default: the OS account]; for `audit log`, only that operator\'s records' -r
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from show" -l request -d 'The ticket or case number this command serves, for the audit record; for `audit log`, only its records' -r
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from show" -l store -d 'The tenant\'s store: a SQLite file path, or sqlite:PATH' -r
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from show" -l map -d 'The data map (TOML) describing where personal data lives in the store' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from show" -l tenant -d 'Take store and map from the config file\'s [tenants.NAME]' -r -f -a "(dsr config --names 2>/dev/null)"
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from show" -l config -d 'Config file [default: ./dsr.toml, then $XDG_CONFIG_HOME/dsr/config.toml, then /etc/dsr/config.toml]' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from show" -l json -d 'Machine-readable result on stdout (one JSON document), nothing else on stdout'
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from show" -s q -l quiet -d 'No human summary; errors still go to stderr'
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from extend" -l reason -d 'Why two further months are needed (complex or numerous requests), to be told to the subject' -r
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from extend" -l request -d 'The ticket or case number this command serves, for the audit record; for `audit log`, only its records' -r
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from extend" -l store -d 'The tenant\'s store: a SQLite file path, or sqlite:PATH' -r
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from extend" -l map -d 'The data map (TOML) describing where personal data lives in the store' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from extend" -l tenant -d 'Take store and map from the config file\'s [tenants.NAME]' -r -f -a "(dsr config --names 2>/dev/null)"
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from extend" -l config -d 'Config file [default: ./dsr.toml, then $XDG_CONFIG_HOME/dsr/config.toml, then /etc/dsr/config.toml]' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from extend" -l operator -d 'Who is acting, for the audit record [default: the OS account]; for `audit log`, only that operator\'s records' -r
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from extend" -l json -d 'Machine-readable result on stdout (one JSON document), nothing else on stdout'
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from extend" -s q -l quiet -d 'No human summary; errors still go to stderr'
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from extend" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from extend" -s V -l version -d 'Print version'
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from close" -l outcome -d 'How it ended' -r -f -a "done\t''
refused\t''
withdrawn\t''"
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from close" -l reason -d 'Why (required for refused: the reasons the subject is told, with the right to complain)' -r
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from close" -l request -d 'The ticket or case number this command serves, for the audit record; for `audit log`, only its records' -r
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from close" -l store -d 'The tenant\'s store: a SQLite file path, or sqlite:PATH' -r
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from close" -l map -d 'The data map (TOML) describing where personal data lives in the store' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from close" -l tenant -d 'Take store and map from the config file\'s [tenants.NAME]' -r -f -a "(dsr config --names 2>/dev/null)"
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from close" -l config -d 'Config file [default: ./dsr.toml, then $XDG_CONFIG_HOME/dsr/config.toml, then /etc/dsr/config.toml]' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from close" -l operator -d 'Who is acting, for the audit record [default: the OS account]; for `audit log`, only that operator\'s records' -r
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from close" -l json -d 'Machine-readable result on stdout (one JSON document), nothing else on stdout'
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from close" -s q -l quiet -d 'No human summary; errors still go to stderr'
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from close" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from close" -s V -l version -d 'Print version'
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from due" -l within -d 'How far ahead to look (7d, 2w, 1m)' -r
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from due" -l operator -d 'Who is acting, for the audit record [default: the OS account]; for `audit log`, only that operator\'s records' -r
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from due" -l request -d 'The ticket or case number this command serves, for the audit record; for `audit log`, only its records' -r
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from due" -l store -d 'The tenant\'s store: a SQLite file path, or sqlite:PATH' -r
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from due" -l map -d 'The data map (TOML) describing where personal data lives in the store' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from due" -l tenant -d 'Take store and map from the config file\'s [tenants.NAME]' -r -f -a "(dsr config --names 2>/dev/null)"
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from due" -l config -d 'Config file [default: ./dsr.toml, then $XDG_CONFIG_HOME/dsr/config.toml, then /etc/dsr/config.toml]' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from due" -l json -d 'Machine-readable result on stdout (one JSON document), nothing else on stdout'
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from due" -s q -l quiet -d 'No human summary; errors still go to stderr'
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from due" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dsr -n "__fish_dsr_using_subcommand request; and __fish_seen_subcommand_from due" -s V -l version -d 'Print version'
complete -c dsr -n "__fish_dsr_using_subcommand batch" -s o -l output -d 'The directory for the lines\' output files (REQUEST.json, …; created 0700 if missing)' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand batch" -l format -d 'Output format of extract and export lines (csv: a directory REQUEST/; export lines: json, xlsx or csv)' -r -f -a "json\t''
xlsx\t''
csv\t''
html\t''"
complete -c dsr -n "__fish_dsr_using_subcommand batch" -l lang -d 'Language of the Art. 15 information in extracts (default: the map\'s `language`, else en)' -r -f -a "sv\t''
en\t''"
complete -c dsr -n "__fish_dsr_using_subcommand batch" -l store -d 'The tenant\'s store: a SQLite file path, or sqlite:PATH' -r
complete -c dsr -n "__fish_dsr_using_subcommand batch" -l map -d 'The data map (TOML) describing where personal data lives in the store' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand batch" -l tenant -d 'Take store and map from the config file\'s [tenants.NAME]' -r -f -a "(dsr config --names 2>/dev/null)"
complete -c dsr -n "__fish_dsr_using_subcommand batch" -l config -d 'Config file [default: ./dsr.toml, then $XDG_CONFIG_HOME/dsr/config.toml, then /etc/dsr/config.toml]' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand batch" -l operator -d 'Who is acting, for the audit record [default: the OS account]; for `audit log`, only that operator\'s records' -r
complete -c dsr -n "__fish_dsr_using_subcommand batch" -l request -d 'The ticket or case number this command serves, for the audit record; for `audit log`, only its records' -r
complete -c dsr -n "__fish_dsr_using_subcommand batch" -s y -l yes -d 'Carry out erase lines (required when the file has any; there is no prompt per line)'
complete -c dsr -n "__fish_dsr_using_subcommand batch" -l dry-run -d 'Erase lines only show and record their plan, changing nothing (as `dsr erase --dry-run`)'
complete -c dsr -n "__fish_dsr_using_subcommand batch" -l json -d 'Machine-readable result on stdout (one JSON document), nothing else on stdout'
complete -c dsr -n "__fish_dsr_using_subcommand batch" -s q -l quiet -d 'No human summary; errors still go to stderr'
complete -c dsr -n "__fish_dsr_using_subcommand batch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dsr -n "__fish_dsr_using_subcommand batch" -s V -l version -d 'Print version'
complete -c dsr -n "__fish_dsr_using_subcommand replay" -l store -d 'The tenant\'s store: a SQLite file path, or sqlite:PATH' -r
complete -c dsr -n "__fish_dsr_using_subcommand replay" -l map -d 'The data map (TOML) describing where personal data lives in the store' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand replay" -l tenant -d 'Take store and map from the config file\'s [tenants.NAME]' -r -f -a "(dsr config --names 2>/dev/null)"
complete -c dsr -n "__fish_dsr_using_subcommand replay" -l config -d 'Config file [default: ./dsr.toml, then $XDG_CONFIG_HOME/dsr/config.toml, then /etc/dsr/config.toml]' -r -F
complete -c dsr -n "__fish_dsr_using_subcommand replay" -l operator -d 'Who is acting, for the audit record [default: the OS account]; for `audit log`, only that operator\'s records' -r
complete -c dsr -n "__fish_dsr_using_subcommand replay" -l request -d 'The ticket or case number this command serves, for the audit record; for `audit log`, only its records' -r
complete -c dsr -n "__fish_dsr_using_subcommand replay" -l dry-run -d 'Report what would be carried out again, and change nothing (records nothing)'
complete -c dsr -n "__fish_dsr_using_subcommand replay" -l new-key -d 'Write the tenant\'s replay_key_file: 32 random bytes, mode 0600; never over an existing file'
complete -c dsr -n "__fish_dsr_using_subcommand replay" -l json -d 'Machine-readable result on stdout (one JSON document), nothing else on stdout'
complete -c dsr -n "__fish_dsr_using_subcommand replay" -s q -l quiet -d 'No human summary; errors still go to stderr'
complete -c dsr -n "__fish_dsr_using_subcommand replay" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dsr -n "__fish_dsr_using_subcommand replay" -s V -l version -d 'Print version'
complete -c dsr -n "__fish_dsr_using_subcommand help; and not __fish_seen_subcommand_from demo init check extract erase export sweep audit config request batch replay help" -f -a "demo" -d 'Write a synthetic tenant (DIR/tenant.db and DIR/datamap.toml) to try every command on'
complete -c dsr -n "__fish_dsr_using_subcommand help; and not __fish_seen_subcommand_from demo init check extract erase export sweep audit config request batch replay help" -f -a "init" -d 'Write a draft data map from the store\'s schema and a sample of its values'
complete -c dsr -n "__fish_dsr_using_subcommand help; and not __fish_seen_subcommand_from demo init check extract erase export sweep audit config request batch replay help" -f -a "check" -d 'Validate the data map against the live store (exit 0 only without errors)'
complete -c dsr -n "__fish_dsr_using_subcommand help; and not __fish_seen_subcommand_from demo init check extract erase export sweep audit config request batch replay help" -f -a "extract" -d 'Art. 15 access: every row belonging to the subject, with the Art. 15(1) information'
complete -c dsr -n "__fish_dsr_using_subcommand help; and not __fish_seen_subcommand_from demo init check extract erase export sweep audit config request batch replay help" -f -a "erase" -d 'Art. 17 erasure: apply the map\'s erase rules to every row of the subject, in one transaction'
complete -c dsr -n "__fish_dsr_using_subcommand help; and not __fish_seen_subcommand_from demo init check extract erase export sweep audit config request batch replay help" -f -a "export" -d 'Art. 20 portability export of a subject, or with --all every mapped table of the tenant'
complete -c dsr -n "__fish_dsr_using_subcommand help; and not __fish_seen_subcommand_from demo init check extract erase export sweep audit config request batch replay help" -f -a "sweep" -d 'Retention: apply every rule whose time has come, and finish deferred erasures whose hold has ended'
complete -c dsr -n "__fish_dsr_using_subcommand help; and not __fish_seen_subcommand_from demo init check extract erase export sweep audit config request batch replay help" -f -a "audit" -d 'The audit trail: list records, verify the hash chain, repair a break, list operators'
complete -c dsr -n "__fish_dsr_using_subcommand help; and not __fish_seen_subcommand_from demo init check extract erase export sweep audit config request batch replay help" -f -a "config" -d 'Show which config file, tenant, store and map a command would use'
complete -c dsr -n "__fish_dsr_using_subcommand help; and not __fish_seen_subcommand_from demo init check extract erase export sweep audit config request batch replay help" -f -a "request" -d 'The register of subject requests and their statutory deadlines (Art. 12(3))'
complete -c dsr -n "__fish_dsr_using_subcommand help; and not __fish_seen_subcommand_from demo init check extract erase export sweep audit config request batch replay help" -f -a "batch" -d 'Carry out many requests in one run: a CSV of extract, export and erase lines'
complete -c dsr -n "__fish_dsr_using_subcommand help; and not __fish_seen_subcommand_from demo init check extract erase export sweep audit config request batch replay help" -f -a "replay" -d 'After a restore from a backup: carry out again the erasures recorded since (or --new-key)'
complete -c dsr -n "__fish_dsr_using_subcommand help; and not __fish_seen_subcommand_from demo init check extract erase export sweep audit config request batch replay help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c dsr -n "__fish_dsr_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "log" -d 'List audit records, oldest first'
complete -c dsr -n "__fish_dsr_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "verify" -d 'Recompute the hash chain (and compare it with the mirror); exit 7 naming the first bad record'
complete -c dsr -n "__fish_dsr_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "repair" -d 'After a break has been investigated: append a record that states it and carry the chain on'
complete -c dsr -n "__fish_dsr_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "operators" -d 'Who has acted on the tenant: first and last use, and counts per command'
complete -c dsr -n "__fish_dsr_using_subcommand help; and __fish_seen_subcommand_from request" -f -a "new" -d 'Register a request; prints its id and its due date'
complete -c dsr -n "__fish_dsr_using_subcommand help; and __fish_seen_subcommand_from request" -f -a "list" -d 'The register, oldest id first'
complete -c dsr -n "__fish_dsr_using_subcommand help; and __fish_seen_subcommand_from request" -f -a "show" -d 'One request, with the audit records of every command run for it'
complete -c dsr -n "__fish_dsr_using_subcommand help; and __fish_seen_subcommand_from request" -f -a "extend" -d 'Extend a request once, before its first deadline, by two further months (Art. 12(3))'
complete -c dsr -n "__fish_dsr_using_subcommand help; and __fish_seen_subcommand_from request" -f -a "close" -d 'Close a request: done, refused (with a reason) or withdrawn'
complete -c dsr -n "__fish_dsr_using_subcommand help; and __fish_seen_subcommand_from request" -f -a "due" -d 'For cron: open requests due within DURATION or overdue; prints nothing when there are none'
