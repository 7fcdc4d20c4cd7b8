import { createBrowserRouter } from 'react-router';
import { HomePage } from './home';
import { Layout, NotFoundPage } from './layout';

export const router = createBrowserRouter([
  {
    element: <Layout />,
    children: [
      { index: true, element: <HomePage /> },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
]);
