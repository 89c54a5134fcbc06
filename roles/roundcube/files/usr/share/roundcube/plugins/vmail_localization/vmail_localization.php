<?php

/**
 * vmail_localization (vmail-iac, roles/roundcube).
 *
 * Debian 12's Roundcube 1.6 ships a Vietnamese translation that lacks about a
 * quarter of the texts (the empty-list notice, the search box, "Password too
 * weak." ...): Roundcube shows the English ones in their place. This plugin
 * merges the project's own texts into Roundcube's for the session language,
 * leaving Debian's files untouched:
 *   localization/<lang>/labels.inc, messages.inc   Roundcube's own texts
 *   localization/<lang>/<plugin>.inc               a plugin's texts ("<plugin>.<key>")
 * It must be the first plugin loaded (the role's config.inc.php puts it
 * first): the labels other plugins hand to the browser at their start
 * (add_label) are then already the merged ones, and a plugin's own files
 * never override them (Roundcube adds plugin texts only where none exist).
 */
class vmail_localization extends rcube_plugin
{
    /**
     * Labels Roundcube hands to the browser before any plugin starts
     * (rcmail::load_gui): handed again once merged.
     */
    const GUI_LABELS = ['loading', 'servererror', 'connerror', 'requesttimedout', 'refreshing',
        'windowopenerror', 'uploadingmany', 'uploading', 'close', 'save', 'cancel',
        'alerttitle', 'confirmationtitle', 'delete', 'continue', 'ok'];

    public function init()
    {
        $this->merge();
        // A language picked in Settings is loaded afresh: merge again.
        $this->add_hook('preferences_save', [$this, 'preferences_save']);
    }

    public function preferences_save($args)
    {
        if (!empty($args['prefs']['language'])) {
            $this->merge($args['prefs']['language']);
        }
        return $args;
    }

    /**
     * The project's texts of $lang (default: the session's), keyed as Roundcube
     * keys them.
     */
    public function texts($lang = null)
    {
        $lang = basename((string) ($lang ?: ($_SESSION['language'] ?? '')));
        $dir = $this->home . '/localization/' . $lang;
        $texts = [];
        if ($lang === '' || !is_dir($dir)) {
            return $texts;
        }
        foreach (glob($dir . '/*.inc') as $file) {
            $name = basename($file, '.inc');
            $read = rcube::read_localization_file($file);
            if ($name === 'labels' || $name === 'messages') {
                $texts = array_merge($texts, $read);
                continue;
            }
            foreach ($read as $key => $value) {
                $texts[$name . '.' . $key] = $value;
            }
        }
        return $texts;
    }

    private function merge($lang = null)
    {
        $lang = $lang ?: ($_SESSION['language'] ?? null);
        $texts = $this->texts($lang);
        if (!$texts) {
            return;
        }
        $rc = rcmail::get_instance();
        $rc->load_language($lang, [], $texts);
        if ($rc->output && method_exists($rc->output, 'add_label')) {
            $rc->output->add_label(array_values(array_intersect(self::GUI_LABELS, array_keys($texts))));
        }
    }
}
