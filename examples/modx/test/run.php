<?php
/**
 * Runs amosync.plugin.php and amosync.formit.php as MODX would, with miniShop2-shaped objects
 * (the fields of msOrder, msOrderAddress, msOrderProduct, msProduct, msDelivery, msPayment,
 * modUserProfile) stubbed, against a running amosync. Used by the Swift test suite:
 *   php run.php create URL TOKEN [TIMEOUT]    msOnCreateOrder for order 2411/7
 *   php run.php status URL TOKEN STATUS        msOnChangeOrderStatus to STATUS
 *   php run.php form URL TOKEN                 the FormIt hook, form "callback"
 * Prints MODX log lines as "LOG <level> <message>" and the hook's return value as "RETURN <value>".
 */

require __DIR__ . '/stubs.php';

list(, $mode, $url, $token) = $argv + array(null, null, null, null);
$modx = new modX(array('amosync_url' => $url, 'amosync_token' => $token, 'amosync_timeout' => isset($argv[4]) && $mode !== 'status' ? $argv[4] : 3));
$here = dirname(__DIR__);
switch ($mode) {
    case 'create':
        $_COOKIE = array('utm_source' => 'yandex', 'utm_medium' => 'cpc', '_ga' => 'GA1.2.111.222', 'PHPSESSID' => 'not-for-amosync');
        $modx->event->name = 'msOnCreateOrder';
        $result = runElement("$here/amosync.plugin.php", array('modx' => $modx, 'msOrder' => miniShop2Order(0), 'order' => null));
        break;
    case 'status':
        $modx->event->name = 'msOnChangeOrderStatus';
        $status = (int) $argv[4];
        $result = runElement("$here/amosync.plugin.php", array('modx' => $modx, 'order' => miniShop2Order($status), 'status' => $status));
        break;
    case 'form':
        $_COOKIE = array('utm_source' => 'vk');
        $hook = new StubHook(array('name' => 'Мария', 'phone' => '8 912 555 03 04', 'message' => 'Перезвоните', 'nospam' => ''));
        $result = runElement("$here/amosync.formit.php", array('modx' => $modx, 'hook' => $hook, 'scriptProperties' => array('amosyncForm' => 'callback')));
        break;
    default:
        fwrite(STDERR, "usage: php run.php create|status|form URL TOKEN [TIMEOUT|STATUS]\n");
        exit(2);
}
echo 'RETURN ' . var_export($result, true) . "\n";
