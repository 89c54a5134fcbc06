<?php

/**
 * vmail_identities (vmail-iac, roles/roundcube).
 *
 * The server refuses mail whose From is not the login's own address or a unit
 * mailbox the login is a delegate of (Postfix sender login map, Rspamd
 * VMAIL_FROM_NOT_LOGIN). So that nobody composes a message that will be
 * refused, the identities offered here are exactly those addresses:
 * identities_level 1 lets users add identities (names, signatures) but never
 * type an address, and at each login this plugin adds one identity per unit
 * the user is a delegate of and removes identities of any other address
 * (a unit whose delegation ended). The list comes from the accounts database
 * through a read-only sudo'd helper.
 */
class vmail_identities extends rcube_plugin
{
    private $rc;

    public function init()
    {
        $this->rc = rcmail::get_instance();
        $this->add_hook('login_after', [$this, 'login_after']);
    }

    /**
     * The unit mailboxes the user may send as: [email => name]. Null if the
     * helper cannot answer (then nothing is added or removed this time).
     */
    private function unit_senders($address)
    {
        $cmd = $this->rc->config->get('vmail_senders_cmd', '/usr/bin/sudo -n /usr/local/sbin/vmail-webmail-senders');
        $out = [];
        $code = 1;
        exec($cmd . ' ' . escapeshellarg($address) . ' 2>&1', $out, $code);
        $rows = $code === 0 ? json_decode(implode('', $out), true) : null;
        if (!is_array($rows)) {
            rcube::raise_error(['code' => 600, 'file' => __FILE__, 'line' => __LINE__,
                'message' => "vmail_identities: $cmd exited $code: " . implode(' ', $out)], true, false);
            return null;
        }
        $senders = [];
        foreach ($rows as $row) {
            $senders[strtolower($row['email'])] = (string) $row['name'];
        }
        return $senders;
    }

    public function login_after($args)
    {
        $user = $this->rc->user;
        $own = strtolower($this->rc->get_user_email() ?: $this->rc->get_user_name());
        $units = $this->unit_senders($own);
        if ($units === null) {
            return $args;
        }
        $present = [];
        foreach ($user->list_identities() as $identity) {
            $present[strtolower($identity['email'])] = true;
        }
        foreach ($units as $email => $name) {
            if (empty($present[$email])) {
                $user->insert_identity(['email' => $email, 'name' => $name, 'standard' => 0]);
            }
        }
        // After the inserts, so the login's own identity is never the last one left.
        foreach ($user->list_identities() as $identity) {
            $email = strtolower($identity['email']);
            if ($email !== $own && !array_key_exists($email, $units)) {
                $user->delete_identity($identity['identity_id']);
            }
        }
        return $args;
    }
}
