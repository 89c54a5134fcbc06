<?php

/**
 * vmail_sieve (vmail-iac, roles/roundcube).
 *
 * When the ManageSieve server refuses a script saved in the managesieve
 * plugin's raw editor (it does not compile, or local policy forbids an
 * action, e.g. a redirect, Art. 17.1), Roundcube only says "server error" and
 * hides the server's own message in a tooltip of the editor's margin. This
 * plugin writes the server's messages, line by line, above the editor. The
 * server keeps the old script; nothing here decides anything.
 */
class vmail_sieve extends rcube_plugin
{
    public $task = 'settings';

    public function init()
    {
        $action = rcmail::get_instance()->action;
        if (strpos((string) $action, 'plugin.managesieve') === 0) {
            $this->add_texts('localization/', ['line']);
            $this->include_script('vmail_sieve.js');
        }
    }
}
