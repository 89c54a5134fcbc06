<?php

/**
 * Read-only address book over the directory JSON: a list of
 * {address, name, kind, unit, unit_name, title}.
 */
class vmail_directory_backend extends rcube_addressbook
{
    public $primary_key = 'ID';
    public $readonly    = true;
    public $groups      = false;

    private $name;
    private $path;
    private $filter;
    private $result;
    private static $records;

    public function __construct($name, $path)
    {
        $this->name  = $name;
        $this->path  = $path;
        $this->ready = is_readable($path);
    }

    /**
     * Lower-case ASCII without diacritics, the same folding as vn_localpart
     * in vmail.text.fold (src/vmail/text.py): NFD, drop combining marks, đ -> d.
     */
    public static function fold($text)
    {
        $text = str_replace(['đ', 'Đ'], ['d', 'D'], (string) $text);
        if (class_exists('Normalizer')) {
            $text = Normalizer::normalize($text, Normalizer::FORM_D);
        }
        $text = preg_replace('/\p{Mn}+/u', '', $text);
        return mb_strtolower($text);
    }

    private function records()
    {
        if (self::$records !== null) {
            return self::$records;
        }
        self::$records = [];
        $data = $this->ready ? json_decode((string) file_get_contents($this->path), true) : null;
        foreach ((array) $data as $entry) {
            if (empty($entry['address'])) {
                continue;
            }
            $name = (string) ($entry['name'] ?? '');
            self::$records[] = [
                'ID'           => substr(md5($entry['address']), 0, 16),
                'name'         => $name,
                'email'        => [$entry['address']],
                'organization' => (string) ($entry['unit_name'] ?? ''),
                'jobtitle'     => (string) ($entry['title'] ?? ''),
                '_unit'        => (string) ($entry['unit'] ?? ''),
                '_key'         => self::fold($name . ' ' . $entry['address']),
            ];
        }
        return self::$records;
    }

    private static function public_record($record)
    {
        unset($record['_unit'], $record['_key']);
        return $record;
    }

    public function get_name()
    {
        return $this->name;
    }

    public function set_search_set($filter)
    {
        $this->filter = $filter;
    }

    public function get_search_set()
    {
        return $this->filter;
    }

    public function reset()
    {
        $this->result = null;
        $this->filter = null;
    }

    private function matching()
    {
        $records = $this->records();
        if ($this->filter === null || $this->filter === '') {
            return $records;
        }
        $words = preg_split('/\s+/u', self::fold($this->filter), -1, PREG_SPLIT_NO_EMPTY);
        $mine = $this->own_unit();
        $hits = [];
        foreach ($records as $record) {
            foreach ($words as $word) {
                if (strpos($record['_key'], $word) === false) {
                    continue 2;
                }
            }
            // Colleagues of the same unit first, then by name.
            $record['_rank'] = ($mine !== '' && $record['_unit'] === $mine ? '0' : '1') . $record['_key'];
            $hits[] = $record;
        }
        usort($hits, function ($a, $b) { return strcmp($a['_rank'], $b['_rank']); });
        return array_map(function ($r) { unset($r['_rank']); return $r; }, $hits);
    }

    private function own_unit()
    {
        $rcmail = rcmail::get_instance();
        $me = $rcmail->user ? strtolower((string) $rcmail->get_user_name()) : '';
        foreach ($this->records() as $record) {
            if ($record['email'][0] === $me) {
                return $record['_unit'];
            }
        }
        return '';
    }

    public function list_records($cols = null, $subset = 0, $nocount = false)
    {
        $all = $this->matching();
        $start = ($this->list_page - 1) * $this->page_size;
        $this->result = new rcube_result_set(count($all), $start);
        foreach (array_slice($all, $start, $this->page_size) as $record) {
            $this->result->add(self::public_record($record));
        }
        return $this->result;
    }

    public function search($fields, $value, $mode = 0, $select = true, $nocount = false, $required = [])
    {
        // Several values (advanced search form): search for all of them.
        $this->filter = is_array($value) ? implode(' ', $value) : (string) $value;
        $this->list_page = 1;
        return $this->list_records();
    }

    public function count()
    {
        return new rcube_result_set(count($this->matching()), ($this->list_page - 1) * $this->page_size);
    }

    public function get_result()
    {
        return $this->result;
    }

    public function get_record($id, $assoc = false)
    {
        foreach ($this->records() as $record) {
            if ($record['ID'] === $id) {
                $record = self::public_record($record);
                if ($assoc) {
                    return $record;
                }
                $this->result = new rcube_result_set(1);
                $this->result->add($record);
                return $this->result;
            }
        }
        return $assoc ? [] : new rcube_result_set(0);
    }

    public function get_record_groups($id)
    {
        return [];
    }

    public function set_group($gid)
    {
    }

    public function create_group($name)
    {
        return false;
    }

    public function delete_group($gid)
    {
        return false;
    }

    public function rename_group($gid, $newname, &$newid)
    {
        return false;
    }

    public function add_to_group($group_id, $ids)
    {
        return 0;
    }

    public function remove_from_group($group_id, $ids)
    {
        return 0;
    }
}
