<?php

/**
 * vmail_force_password (vmail-iac, roles/roundcube).
 *
 * Art. 9.3 and 10.1: the initial password must be changed at once. After a
 * login, ask the accounts database (through a read-only sudo'd helper) whether
 * the account still has its initial password; while it does, every request
 * other than the password form and logout is redirected to the form, which
 * shows why. Dovecot refuses IMAP/POP3/SMTP logins of such accounts from
 * anywhere but the webmail host, so this is the only way in until changed.
 */
class vmail_force_password extends rcube_plugin
{
    const FLAG = 'vmail_initial_password';

    private $rc;

    public function init()
    {
        $this->rc = rcmail::get_instance();
        $this->add_hook('login_after', [$this, 'login_after']);
        $this->add_hook('startup', [$this, 'startup']);
        $this->add_hook('password_change', [$this, 'password_change']);
        $this->add_hook('template_object_plugin.body', [$this, 'password_body']);
    }

    /**
     * 1 while the account has its initial password. Fails closed: if the
     * helper cannot answer, the user is sent to the password form.
     */
    private function has_initial_password($address)
    {
        $cmd = $this->rc->config->get('vmail_initial_cmd', '/usr/bin/sudo -n /usr/local/sbin/vmail-webmail-initial');
        $out = [];
        $code = 1;
        exec($cmd . ' ' . escapeshellarg($address) . ' 2>&1', $out, $code);
        if ($code !== 0) {
            rcube::raise_error(['code' => 600, 'file' => __FILE__, 'line' => __LINE__,
                'message' => "vmail_force_password: $cmd exited $code: " . implode(' ', $out)], true, false);
            return true;
        }
        return trim(implode('', $out)) === '1';
    }

    private static function password_url()
    {
        return ['_task' => 'settings', '_action' => 'plugin.password'];
    }

    public function login_after($args)
    {
        if ($this->has_initial_password($this->rc->get_user_name())) {
            $_SESSION[self::FLAG] = true;
            return self::password_url() + ['abort' => false];
        }
        $this->rc->session->remove(self::FLAG);
        return $args;
    }

    public function startup($args)
    {
        if (empty($_SESSION[self::FLAG])) {
            return $args;
        }
        $task = $args['task'];
        $action = (string) $args['action'];
        if (in_array($task, ['login', 'logout'])
            || ($task == 'settings' && strpos($action, 'plugin.password') === 0)) {
            return $args;
        }
        // Both outputs redirect: HTML with a Location header, AJAX with a
        // client-side redirect command; neither runs the requested action.
        $this->rc->output->redirect(self::password_url());
        exit;
    }

    public function password_change($args)
    {
        $this->rc->session->remove(self::FLAG);
        unset($_SESSION[self::FLAG]);
        return $args;
    }

    /**
     * Put the reason above the password form (a notice that does not fade).
     * Template objects are filled in after render_page, hence this hook.
     */
    public function password_body($args)
    {
        if (empty($_SESSION[self::FLAG]) || $this->rc->task != 'settings'
            || strpos((string) $this->rc->action, 'plugin.password') !== 0) {
            return $args;
        }
        $this->add_texts('localization/');
        $box = html::div(['class' => 'boxwarning', 'id' => 'vmail-force-password'],
            rcube::Q($this->gettext('mustchange')));
        $args['content'] = preg_replace('/(<form[^>]+id="password-form"[^>]*>)/', $box . '$1', $args['content'], 1);
        return $args;
    }
}
