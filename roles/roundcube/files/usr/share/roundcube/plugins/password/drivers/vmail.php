<?php

/**
 * vmail password driver (vmail-iac, roles/roundcube).
 *
 * Strength: runs the platform's one password policy, the same Python function
 * Ansible uses as the password_policy_errors filter, through its CLI
 * (vmail-password-check check-password --lang vi|en, the vmail package): exit 0 = compliant, exit 1 =
 * one reason per line. Nothing about the policy is written here.
 *
 * Save: pipes the new password to "vmail-accounts set-password --changed-by-user
 * ADDRESS" (the owner's change: clears must-change) via a
 * narrow sudo rule; that tool hashes it and clears the initial-password mark.
 * The password plugin has already checked the current password (form field and
 * an IMAP login) before save() is called.
 */
class rcube_vmail_password
{
    /**
     * Run a command with $input on stdin; return [exit code, stdout lines].
     */
    private static function run($cmd, $input)
    {
        $pipes = [];
        $proc = proc_open($cmd, [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        if (!is_resource($proc)) {
            return [-1, []];
        }
        fwrite($pipes[0], $input . "\n");
        fclose($pipes[0]);
        $out = stream_get_contents($pipes[1]);
        $err = stream_get_contents($pipes[2]);
        fclose($pipes[1]);
        fclose($pipes[2]);
        $code = proc_close($proc);
        if ($code !== 0 && $code !== 1) {
            rcube::raise_error(['code' => 600, 'file' => __FILE__, 'line' => __LINE__,
                'message' => "vmail password driver: $cmd exited $code: " . trim($out . ' ' . $err)], true, false);
        }
        $lines = array_values(array_filter(array_map('trim', explode("\n", $out)), 'strlen'));
        return [$code, $lines];
    }

    private static function lang()
    {
        return strpos((string) rcmail::get_instance()->get_user_language(), 'vi') === 0 ? 'vi' : 'en';
    }

    private static function policy($passwd)
    {
        $cmd = rcmail::get_instance()->config->get('password_vmail_policy_cmd',
            '/usr/local/sbin/vmail-password-check check-password');
        return self::run($cmd . ' --lang ' . self::lang(), $passwd);
    }

    /**
     * The rules shown under the form. Every rule fails for the empty password,
     * so the policy script lists them all: the text comes from the one definition.
     */
    public function strength_rules()
    {
        list($code, $lines) = self::policy('');
        $prefix = self::lang() === 'vi' ? 'Mật khẩu ' : 'The password ';
        return array_map(function ($line) use ($prefix) { return $prefix . $line . '.'; }, $lines);
    }

    /**
     * @return array [score 1 (refused) or 5 (compliant), reason]
     */
    public function check_strength($passwd)
    {
        list($code, $lines) = self::policy($passwd);
        if ($code === 0) {
            return [5, null];
        }
        if ($code !== 1 || !$lines) {
            // Fail closed: without the policy, no password is accepted.
            return [1, self::lang() === 'vi' ? 'Không kiểm tra được mật khẩu, hãy thử lại sau.'
                : 'The password could not be checked, try again later.'];
        }
        $head = self::lang() === 'vi' ? 'Mật khẩu mới' : 'The new password';
        return [1, $head . ' ' . implode('; ', $lines) . '.'];
    }

    public function save($currpass, $newpass, $username)
    {
        $cmd = rcmail::get_instance()->config->get('password_vmail_save_cmd',
            '/usr/bin/sudo -n /usr/local/sbin/vmail-accounts set-password --changed-by-user');
        list($code, $lines) = self::run($cmd . ' ' . escapeshellarg($username), $newpass);
        return $code === 0 ? PASSWORD_SUCCESS : PASSWORD_ERROR;
    }
}
