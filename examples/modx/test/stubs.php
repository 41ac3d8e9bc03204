<?php
/**
 * MODX and miniShop2 as the elements in examples/modx see them: modX (options, parents, log,
 * getObject, getService, context), xPDO objects with their relations, a FormIt hook, a miniShop2
 * order with the fields of msOrder, msOrderAddress, msOrderProduct, msProduct, msDelivery,
 * msPayment and modUserProfile, and miniShop2's changeOrderStatus. Included by run.php and
 * status-router.php.
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
        $this->context = new stdClass();
        $this->context->key = 'web';
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

    /** Where log lines go: printed (run.php), or to the server's error log (behind PHP's server). */
    public $printLog = true;

    public function log($level, $message)
    {
        if ($this->printLog) {
            echo "LOG $level $message\n";
        } else {
            error_log("LOG $level $message");
        }
    }

    /** Objects by class, found by their fields (getObject('msOrder', array('num' => '2411/7'))) or by id. */
    public $objects = array();
    /** Services by name (getService('miniShop2')). */
    public $services = array();
    public $context;

    public function getObject($class, $criteria = null)
    {
        foreach (isset($this->objects[$class]) ? $this->objects[$class] : array() as $object) {
            $wanted = is_array($criteria) ? $criteria : array('id' => $criteria);
            $match = true;
            foreach ($wanted as $key => $value) {
                $match = $match && (string) $object->get($key) === (string) $value;
            }
            if ($match) {
                return $object;
            }
        }
        return null;
    }

    public function getService($name, $class = '', $path = '', $params = array())
    {
        return isset($this->services[$name]) ? $this->services[$name] : null;
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


/**
 * miniShop2's changeOrderStatus as its service does it: the status must exist (1 new, 2 paid,
 * 3 sent, 4 cancelled, 5 delivered) and differ; the order is saved, then msOnChangeOrderStatus
 * fires (here: amosync.plugin.php, as MODX would run it). The order's status lives in a JSON file
 * so that the test sees it after the request. Returns true or an error, as miniShop2 does.
 */
class StubMiniShop2
{
    private $modx;
    private $state;

    public function __construct($modx, $state)
    {
        $this->modx = $modx;
        $this->state = $state;
    }

    public function changeOrderStatus($orderId, $statusId)
    {
        $current = json_decode((string) @file_get_contents($this->state), true) ?: array('status' => 1, 'changes' => array());
        if (!in_array((int) $statusId, array(1, 2, 3, 4, 5), true)) {
            return 'ms2_err_status_nf';
        }
        if ((int) $current['status'] === (int) $statusId) {
            return 'ms2_err_status_same';
        }
        $current['status'] = (int) $statusId;
        $current['changes'][] = array('order' => $orderId, 'status' => (int) $statusId, 'context' => $this->modx->context->key);
        file_put_contents($this->state, json_encode($current));
        $this->modx->event->name = 'msOnChangeOrderStatus';
        runElement(dirname(__DIR__) . '/amosync.plugin.php', array(
            'modx' => $this->modx, 'order' => miniShop2Order((int) $statusId), 'status' => (int) $statusId,
        ));
        return true;
    }
}
