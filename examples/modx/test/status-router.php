<?php
/**
 * amosync.status.php behind PHP's built-in server (`php -S 127.0.0.1:PORT status-router.php`), with
 * MODX and miniShop2 stubbed: order 2411/7, its status kept in the file AMOSYNC_TEST_STATE, and
 * amosync.plugin.php reporting each status change to AMOSYNC_URL. Used by amosync's test suite.
 */
require __DIR__ . '/stubs.php';

$state = getenv('AMOSYNC_TEST_STATE');
$saved = json_decode((string) @file_get_contents($state), true) ?: array('status' => 1);
$modx = new modX(array(
    'amosync_url' => getenv('AMOSYNC_URL'), 'amosync_token' => getenv('AMOSYNC_TOKEN'),
    'amosync_status_secret' => getenv('AMOSYNC_STATUS_SECRET'),
));
$modx->printLog = false;
$modx->objects['msOrder'] = array(miniShop2Order((int) $saved['status']));
$modx->services['miniShop2'] = new StubMiniShop2($modx, $state);
$result = runElement(dirname(__DIR__) . '/amosync.status.php', array('modx' => $modx));
