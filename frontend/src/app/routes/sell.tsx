import { SellForm } from '../../features/items/components/sell-form';

export function Component() {
  return <SellForm />;
}
