<?php

require_once __DIR__ . '/vmail_directory_backend.php';

/**
 * vmail_directory (vmail-iac, roles/roundcube).
 *
 * Art. 12.5: the provincial e-mail directory as a read-only Roundcube address
 * book, used for address completion. Ansible writes the directory as a JSON
 * file from the personnel file (people who left are not in it); the search
 * ignores diacritics, case and word order, so "nguyen van", "Nguyễn Văn" and
 * "nguyenvan" all find Nguyễn Văn Thử. Unit mailboxes are in it too.
 */
class vmail_directory extends rcube_plugin
{
    const ID = 'vmail_directory';

    public function init()
    {
        $this->add_hook('addressbooks_list', [$this, 'address_sources']);
        $this->add_hook('addressbook_get', [$this, 'get_address_book']);
    }

    private function backend()
    {
        $config = rcmail::get_instance()->config;
        return new vmail_directory_backend(
            $config->get('vmail_directory_name', 'Directory'),
            $config->get('vmail_directory_path', '/var/lib/vmail-webmail/directory.json')
        );
    }

    public function address_sources($p)
    {
        $p['sources'][self::ID] = [
            'id'       => self::ID,
            'name'     => rcmail::get_instance()->config->get('vmail_directory_name', 'Directory'),
            'readonly' => true,
            'groups'   => false,
        ];
        return $p;
    }

    public function get_address_book($p)
    {
        if ($p['id'] === self::ID) {
            $p['instance'] = $this->backend();
        }
        return $p;
    }
}
