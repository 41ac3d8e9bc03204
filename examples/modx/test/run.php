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

class modX
{
    const LOG_LEVEL_ERROR = 1;
    public $event;
    public $resource;
    private $options;
    /** Parents of each resource, nearest first, as modX::getParentIds returns them. */
    private $parents = array(77 => array(40, 12, 3, 0), 91 => array(12, 3, 0));

    public function __construct(array $options)
    {
        $this->options = $options;
        $this->event = new stdClass();
    }

    public function getOption($key, $options = null, $default = null)
    {
        return array_key_exists($key, $this->options) ? $this->options[$key] : $default;
    }

    public function getParentIds($id = null, $height = 10, array $options = array())
    {
        return isset($this->parents[$id]) ? array_slice($this->parents[$id], 0, $height) : array();
    }

    public function makeUrl($id, $context = '', $args = '', $scheme = -1)
    {
        return 'https://shop.example/contacts.html';
    }

    public function log($level, $message)
    {
        echo "LOG $level $message\n";
    }
}

/** An xPDO object: fields, one-to-one and one-to-many relations by alias. */
class StubObject
{
    private $fields;
    private $one;
    private $many;

    public function __construct(array $fields, array $one = array(), array $many = array())
    {
        $this->fields = $fields;
        $this->one = $one;
        $this->many = $many;
    }

    public function get($key)
    {
        return isset($this->fields[$key]) ? $this->fields[$key] : null;
    }

    public function getOne($alias)
    {
        return isset($this->one[$alias]) ? $this->one[$alias] : null;
    }

    public function getMany($alias)
    {
        return isset($this->many[$alias]) ? $this->many[$alias] : array();
    }
}

class StubHook
{
    private $values;

    public function __construct(array $values)
    {
        $this->values = $values;
    }

    public function getValues()
    {
        return $this->values;
    }
}

function miniShop2Order($status)
{
    $address = new StubObject(array(
        'id' => 31, 'user_id' => 5, 'receiver' => 'Иван Петров', 'phone' => '+7 (912) 555-01-02',
        'country' => 'Россия', 'index' => '614000', 'region' => 'Пермский край', 'city' => 'Пермь', 'metro' => '',
        'street' => 'Ленина', 'building' => '5', 'room' => '12', 'comment' => 'Позвонить после 18:00',
    ));
    $profile = new StubObject(array('internalKey' => 5, 'fullname' => 'Иван Петров', 'email' => 'ivan@example.org', 'phone' => ''));
    $products = array(
        new StubObject(
            array('id' => 301, 'product_id' => 77, 'order_id' => 45, 'name' => 'Чайник Bosch TWK', 'count' => 1, 'price' => 5100.00,
                'weight' => 1.2, 'cost' => 5100.00, 'options' => array('color' => 'white')),
            array('Product' => new StubObject(array('id' => 77, 'pagetitle' => 'Чайник Bosch TWK', 'article' => 'K-77', 'parent' => 40)))
        ),
        new StubObject(
            array('id' => 302, 'product_id' => 91, 'order_id' => 45, 'name' => 'Фильтр для воды', 'count' => 2, 'price' => 395.00,
                'weight' => 0.1, 'cost' => 790.00, 'options' => null),
            array('Product' => new StubObject(array('id' => 91, 'pagetitle' => 'Фильтр для воды', 'article' => 'F-91', 'parent' => 12)))
        ),
    );
    return new StubObject(
        array('id' => 45, 'user_id' => 5, 'createdon' => '2026-11-30 14:05:00', 'num' => '2411/7', 'cost' => 6280.00,
            'cart_cost' => 5890.00, 'delivery_cost' => 390.00, 'weight' => 1.4, 'status' => $status, 'delivery' => 1,
            'payment' => 1, 'address' => 31, 'context' => 'web', 'comment' => '', 'type' => 0),
        array(
            'Address' => $address, 'UserProfile' => $profile,
            'Delivery' => new StubObject(array('id' => 1, 'name' => 'Курьер')),
            'Payment' => new StubObject(array('id' => 1, 'name' => 'Картой онлайн')),
        ),
        array('Products' => $products)
    );
}

/** Runs a MODX element's code the way MODX does: a function body with its variables in scope. */
function runElement($file, array $variables)
{
    extract($variables);
    return include $file;
}

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
